"""Drawing of images, boxes, keypoints and label maps with matplotlib (optional dependency)."""

from kusari_cv.visualizations.colormap import voc_colormap
from kusari_cv.visualizations.vis_bbox import vis_bbox
from kusari_cv.visualizations.vis_image import vis_image
from kusari_cv.visualizations.vis_point import vis_point
from kusari_cv.visualizations.vis_semantic_segmentation import vis_semantic_segmentation

__all__ = [
    "vis_bbox",
    "vis_image",
    "vis_point",
    "vis_semantic_segmentation",
    "voc_colormap",
]
