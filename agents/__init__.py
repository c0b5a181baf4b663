"""The roles that think: drafter, reviewer, judge, and the model profiles they run on."""

from kilab.agents.profiles import ModelProfile, Provider

__all__ = ["ModelProfile", "Provider"]
