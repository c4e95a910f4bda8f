import importlib.metadata

import kusari_rl


def test_version_matches_installed_distribution():
    assert kusari_rl.__version__ == importlib.metadata.version("kusari-rl")


def test_import_loads_no_other_addon_and_no_cupy(top_level_modules_after_import):
    loaded = top_level_modules_after_import("kusari_rl")
    assert "kusari_rl" in loaded
    assert loaded.isdisjoint({"kusari_cv", "kusari_ui", "cupy"})
