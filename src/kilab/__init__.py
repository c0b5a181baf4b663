"""kilab: declarative agent graphs and an evaluation harness for public-sector AI pilots."""

__version__ = "0.1.0"
__all__ = ["__version__"]
