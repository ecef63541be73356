"""The recommender (issue 14 item 3): a TensorFlow ranker over repeat-purchase, co-occurrence and
popularity signals (model.py), the data it learns from (history.py, features.py), the baselines it
must beat and the fixed evaluation protocol on UCI Online Retail (baselines.py, protocol.py)."""
from .model import Recommender, prepare_lines, train_recommender

__all__ = ["Recommender", "prepare_lines", "train_recommender"]
