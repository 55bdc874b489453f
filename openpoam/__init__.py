"""OpenPOAM: Plans of Action and Milestones, kept exactly."""

__version__ = "0.1.0"
