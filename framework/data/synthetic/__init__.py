"""The calibrated synthetic world (``data=synthetic``)."""

from framework.data.synthetic.knobs import WorldKnobs
from framework.data.synthetic.world import CONTROLS, TABLE1, World, generate_world

__all__ = ["WorldKnobs", "World", "generate_world", "TABLE1", "CONTROLS"]
