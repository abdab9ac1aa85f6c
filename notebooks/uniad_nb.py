"""Shared helpers of the notebooks: where their inputs are, and reading the program's files.

Every notebook reads the program's real outputs from one folder, UNIAD_NOTEBOOK_DATA (default: the
repository's runs/, where `uniad train`, `uniad inspect` and `uniad trace-autograd` write by
default). Paths below are relative to that folder; docs/notebooks.md lists the commands that
make each file.
"""
import json
import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent


def data_dir():
    """The folder the notebooks read: $UNIAD_NOTEBOOK_DATA, else <repository>/runs."""
    return pathlib.Path(os.environ.get("UNIAD_NOTEBOOK_DATA", REPO / "runs"))


def require(relative, command):
    """The path of a file the notebook cannot do without; a clear error naming the command that makes it."""
    path = data_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing. Make it with\n    {command}\n"
            f"or point UNIAD_NOTEBOOK_DATA at a folder that holds {relative} (docs/notebooks.md).")
    print(f"reading {path}")
    return path


def optional(relative, what, command):
    """The path of an optional input, or None with a printed note saying what is skipped and how to make it."""
    path = data_dir() / relative
    if path.is_file():
        print(f"reading {path}")
        return path
    print(f"note: {path} is missing, so {what} is skipped. Make it with\n    {command}")
    return None


def read_jsonl(path):
    """The records of a log.jsonl file, one dict per line."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def shortcut_records(path):
    """The identical-shortcut lab's lines of a run's log.jsonl: (epochs, {key: [value per epoch]}).

    None (JSON null: a set that does not exist, e.g. ood_classes of a run on every class) becomes NaN."""
    epochs, series = [], {}
    for record in read_jsonl(path):
        if "shortcut" not in record:
            continue
        epochs.append(record["epoch"])
        for key, value in record["shortcut"].items():
            series.setdefault(key, []).append(float("nan") if value is None else float(value))
    return epochs, series


def strings(dataset):
    """A 1-D HDF5 string dataset as a list of str (h5py returns bytes by default)."""
    return [s.decode() if isinstance(s, bytes) else str(s) for s in dataset[()]]
