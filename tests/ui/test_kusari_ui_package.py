import importlib.metadata

import kusari_ui


def test_version_matches_installed_distribution():
    assert kusari_ui.__version__ == importlib.metadata.version("kusari-ui")


def test_import_loads_no_other_addon_and_no_cupy(top_level_modules_after_import):
    loaded = top_level_modules_after_import("kusari_ui")
    assert "kusari_ui" in loaded
    assert loaded.isdisjoint({"kusari_cv", "kusari_rl", "cupy"})
