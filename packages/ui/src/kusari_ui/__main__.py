"""``python -m kusari_ui``: the same as the ``kusari-ui`` command."""

from kusari_ui.cli import main

if __name__ == "__main__":
    main(prog_name="kusari-ui")
