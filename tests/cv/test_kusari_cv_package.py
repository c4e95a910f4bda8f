import importlib.metadata

import kusari_cv


def test_version_matches_installed_distribution():
    assert kusari_cv.__version__ == importlib.metadata.version("kusari-cv")


def test_import_loads_no_other_addon_and_no_cupy(top_level_modules_after_import):
    loaded = top_level_modules_after_import("kusari_cv")
    assert "kusari_cv" in loaded
    assert loaded.isdisjoint({"kusari_rl", "kusari_ui", "cupy"})
