"""V-functions (ChainerRL's ``chainerrl.v_functions``)."""

from kusari_rl.v_functions.v_functions import FCVFunction, SingleModelVFunction

__all__ = ["FCVFunction", "SingleModelVFunction"]
