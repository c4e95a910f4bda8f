"""MTCNN face detector (Zhang et al. 2016): P-Net, R-Net, O-Net and the cascade."""

from kusari_cv.links.model.mtcnn.mtcnn import MTCNN
from kusari_cv.links.model.mtcnn.onet import ONet
from kusari_cv.links.model.mtcnn.pnet import PNet
from kusari_cv.links.model.mtcnn.rnet import RNet

__all__ = ["MTCNN", "ONet", "PNet", "RNet"]
