"""Array backends: ``kusari.backends.cuda`` (CuPy, optional) and the host CPU."""
