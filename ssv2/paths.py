"""Where the pipeline's files live, relative to the repository root: dvc.yaml names the same paths.

Stages, the sweep and the benchmarks import these instead of spelling the paths out.
"""

from pathlib import Path

PARSED = Path("data/parsed")  # the parse stage: classes.json and one CSV per split
CLASSES = PARSED / "classes.json"
VALIDATION = PARSED / "validation.csv"
STORE = Path("data/store")  # the materialise stage's clip store
PRETRAIN = Path("data/pretrain")  # the pretrain stage's draw, store and checkpoints
PRETRAINED = Path("models/pretrained.pth")  # its network without the classifier: the train stage's start
MODELS = Path("models")  # the train stage's checkpoints and MLflow run
MODEL = MODELS / "model.pt"  # the trained model: the last epoch's weights
REGISTERED = MODELS / "registered.json"
TRAIN_METRICS = Path("metrics/train.json")
TRAIN_PLOTS = Path("plots/train.csv")
EVAL = Path("eval")  # the evaluate stage's metrics, tables and plots
EVAL_METRICS = EVAL / "metrics.json"
EVAL_CONFUSION = EVAL / "confusion.csv"  # one row per validation video scored: id, actual, predicted
