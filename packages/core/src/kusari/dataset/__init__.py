"""Dataset abstraction (Chainer v7's ``chainer.dataset``).

The dataset mixin, the iterator interface, batch conversion and download helpers.
"""

from kusari.dataset.convert import concat_examples, to_device
from kusari.dataset.dataset_mixin import DatasetMixin
from kusari.dataset.download import (
    cache_or_load_file,
    cached_download,
    download_file,
    get_dataset_directory,
    get_dataset_root,
    set_dataset_root,
)
from kusari.dataset.iterator import Iterator

__all__ = [
    "DatasetMixin",
    "Iterator",
    "cache_or_load_file",
    "cached_download",
    "download_file",
    "concat_examples",
    "get_dataset_directory",
    "get_dataset_root",
    "set_dataset_root",
    "to_device",
]
