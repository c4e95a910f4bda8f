"""Connection links of kusari-cv, after ``chainercv.links.connection``."""

from kusari_cv.links.connection.conv_2d_activ import Conv2DActiv
from kusari_cv.links.connection.conv_2d_bn_activ import Conv2DBNActiv

__all__ = ["Conv2DActiv", "Conv2DBNActiv"]
