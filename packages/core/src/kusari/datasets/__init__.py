"""Ready-made datasets and dataset wrappers (Chainer v7's ``chainer.datasets``)."""

from kusari.datasets.concatenated_dataset import ConcatenatedDataset
from kusari.datasets.dict_dataset import DictDataset
from kusari.datasets.mnist import get_mnist
from kusari.datasets.sub_dataset import (
    SubDataset,
    get_cross_validation_datasets,
    get_cross_validation_datasets_random,
    split_dataset,
    split_dataset_n,
    split_dataset_n_random,
    split_dataset_random,
)
from kusari.datasets.transform_dataset import TransformDataset
from kusari.datasets.tuple_dataset import TupleDataset

__all__ = [
    "ConcatenatedDataset",
    "DictDataset",
    "SubDataset",
    "TransformDataset",
    "TupleDataset",
    "get_cross_validation_datasets",
    "get_cross_validation_datasets_random",
    "get_mnist",
    "split_dataset",
    "split_dataset_n",
    "split_dataset_n_random",
    "split_dataset_random",
]
