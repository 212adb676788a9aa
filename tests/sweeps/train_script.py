"""A program a command sweep runs: its params arrive as ``--C=... --max_iter=...``; its fit is autologged."""

import argparse

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import autolog

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, required=True)
parser.add_argument("--max_iter", type=int, required=True)
args = parser.parse_args()

autolog.autolog()
X, y = make_classification(n_samples=60, n_features=4, random_state=0)
LogisticRegression(C=args.C, max_iter=args.max_iter).fit(X, y)
