"""resistance-annotator: cited drug resistance and sensitivity implications for tumor variants.

Research use only; not for clinical decision making.
"""

__version__ = "0.1.0"
