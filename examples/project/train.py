"""Train a logistic regression on iris: the project's ``train`` entry point.

Run it as a tracked, reproducible run (the fit logs into the run ``autolog run`` creates):

    autolog run examples/project -e train -P C=0.5
    autolog rerun <run id>            # same entry point, params and git commit
"""

import argparse

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import autolog

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--max-iter", type=int, default=200)
parser.add_argument("--test-size", type=float, default=0.25)
args = parser.parse_args()

autolog.autolog()
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=args.test_size, random_state=0)
model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(X_train, y_train)
run = autolog.active_run()
if run is not None:
    run.log_metric("test_accuracy", model.score(X_test, y_test))
print(f"test accuracy {model.score(X_test, y_test):.3f}")
