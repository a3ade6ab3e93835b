"""grassroots: districts' spreadsheets in, validated cases and visits, figures and reports out."""

__version__ = "0.1.0"
