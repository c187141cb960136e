"""audioguide: turn written articles into chaptered audio guides and a podcast feed."""

__version__ = "0.1.0"
