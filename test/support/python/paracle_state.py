"""A stand-in for the Python paracle tooling, for the interop tests: our own short code that does what
its `state.py` and `state_logging.py` do to the same files (filelock on `current_state.yaml.lock`,
PyYAML safe_load and dump, the revision check, a temp file and a rename; the JSONL audit log with
naive local timestamps). Not the upstream code: only its behaviour, kept to what the tests need.

Usage: python3 paracle_state.py <command> <parac_root> [args...]; see COMMANDS at the bottom.
"""

import json
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

import yaml
from filelock import FileLock
from filelock import Timeout as FileLockTimeout


class StateConflictError(Exception):
    pass


class StateLockError(Exception):
    pass


def state_file_of(parac_root):
    return Path(parac_root) / "memory" / "context" / "current_state.yaml"


def lock_file_of(state_file):
    return state_file.with_suffix(".yaml.lock")


# --- the model: ParacState.from_dict / to_dict and its methods, on plain data -------------------

PHASE_LISTS = ("focus_areas", "completed", "in_progress", "pending")


def phase_to_dict(phase):
    """PhaseState.to_dict: the known fields only; optional ones and empty lists are left out."""
    result = {
        "id": phase.get("id", "unknown"),
        "name": phase.get("name", "unknown"),
        "status": phase.get("status", "unknown"),
        "progress": phase.get("progress", "0%"),
    }
    for key in ("started_date", "completed_date", *PHASE_LISTS):
        if phase.get(key):
            result[key] = phase[key]
    return result


class State:
    def __init__(self, data):
        self.raw = data
        self.revision = data.get("revision", 0)
        self.snapshot_date = data.get("snapshot_date", str(date.today()))
        phase = data.get("current_phase", {}) or {}
        self.phase = {**phase, **{key: list(phase.get(key, []) or []) for key in PHASE_LISTS}}
        self.blockers = list(data.get("blockers", []) or [])

    def to_dict(self):
        result = dict(self.raw)
        result["snapshot_date"] = self.snapshot_date
        result["current_phase"] = phase_to_dict(self.phase)
        result["blockers"] = self.blockers
        result["revision"] = self.revision
        return result

    def update_progress(self, progress):
        if 0 <= progress <= 100:
            self.phase["progress"] = f"{progress}%"
            self.snapshot_date = str(date.today())

    def add_completed(self, item):
        if item not in self.phase["completed"]:
            self.phase["completed"].append(item)
        if item in self.phase["in_progress"]:
            self.phase["in_progress"].remove(item)
        if item in self.phase["pending"]:
            self.phase["pending"].remove(item)
        self.snapshot_date = str(date.today())

    def add_in_progress(self, item):
        if item not in self.phase["in_progress"]:
            self.phase["in_progress"].append(item)
        if item in self.phase["pending"]:
            self.phase["pending"].remove(item)
        self.snapshot_date = str(date.today())

    def add_blocker(self, description, severity="medium"):
        self.blockers.append(
            {
                "id": f"blocker_{len(self.blockers) + 1}",
                "description": description,
                "severity": severity,
                "added_date": str(date.today()),
            }
        )
        self.snapshot_date = str(date.today())

    def remove_blocker(self, blocker_id):
        for i, blocker in enumerate(self.blockers):
            if blocker.get("id") == blocker_id:
                self.blockers.pop(i)
                self.snapshot_date = str(date.today())
                return True
        return False


# --- load_state / save_state ---------------------------------------------------------------------


def load_state(parac_root, timeout=10.0):
    state_file = state_file_of(parac_root)
    if not state_file.exists():
        return None
    try:
        with FileLock(str(lock_file_of(state_file)), timeout=timeout):
            with open(state_file, encoding="utf-8") as f:
                data = yaml.safe_load(f)
            return State(data)
    except FileLockTimeout as e:
        raise StateLockError(f"Could not acquire lock for {state_file} within {timeout}s") from e
    except (yaml.YAMLError, KeyError, TypeError, AttributeError):
        return None


def save_state(state, parac_root, timeout=10.0, check_conflict=True):
    state_file = state_file_of(parac_root)
    temp_file = state_file.with_suffix(".yaml.tmp")
    try:
        with FileLock(str(lock_file_of(state_file)), timeout=timeout):
            if check_conflict and state_file.exists():
                with open(state_file, encoding="utf-8") as f:
                    current = yaml.safe_load(f)
                if current.get("revision", 0) != state.revision:
                    raise StateConflictError(f"expected revision={state.revision}, got revision={current.get('revision', 0)}")
            state.revision += 1
            with open(temp_file, "w", encoding="utf-8") as f:
                yaml.dump(state.to_dict(), f, default_flow_style=False, allow_unicode=True, sort_keys=False)
            temp_file.replace(state_file)
        return True
    except FileLockTimeout as e:
        raise StateLockError(f"Could not acquire lock for {state_file} within {timeout}s") from e


# --- state_logging -------------------------------------------------------------------------------


def log_file_of(parac_root):
    return Path(parac_root) / "memory" / "logs" / "state_changes.jsonl"


def log_state_change(parac_root, change_type, description, old_value=None, new_value=None, revision=None):
    log_file = log_file_of(parac_root)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    entry = {"timestamp": datetime.now().isoformat(), "process_id": os.getpid(), "change_type": change_type, "description": description}
    if old_value is not None:
        entry["old_value"] = old_value
    if new_value is not None:
        entry["new_value"] = new_value
    if revision is not None:
        entry["revision"] = revision
    with open(log_file, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def get_recent_changes(parac_root, limit=100):
    changes = []
    with open(log_file_of(parac_root), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    changes.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return list(reversed(changes[-limit:]))


def clear_old_changes(parac_root, keep_days=30):
    log_file = log_file_of(parac_root)
    cutoff = datetime.now().timestamp() - keep_days * 86400
    kept, removed, unreadable = [], 0, 0
    with open(log_file, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
                if datetime.fromisoformat(entry["timestamp"]).timestamp() >= cutoff:
                    kept.append(line)
                else:
                    removed += 1
            except (json.JSONDecodeError, KeyError, ValueError):
                unreadable += 1
                kept.append(line)
    if removed > 0:
        with open(log_file, "w", encoding="utf-8") as f:
            for line in kept:
                f.write(line + "\n")
    return {"removed": removed, "unreadable": unreadable}


# --- commands ------------------------------------------------------------------------------------


def race(parac_root, prefix, count):
    """`count` saves, each completing one item: load, change, save with the revision check; a conflict or
    a lock timeout starts the item again (the tooling's update-with-retry). Prints one JSON line a save."""
    for i in range(int(count)):
        item = f"{prefix}-{i}"
        retries = 0
        while True:
            try:
                state = load_state(parac_root)
                state.add_completed(item)
                save_state(state, parac_root)
                break
            except (StateConflictError, StateLockError):
                retries += 1
                time.sleep(0.01)
        print(json.dumps({"item": item, "revision": state.revision, "retries": retries}), flush=True)


def hold(parac_root):
    """Holds the Python lock until a line arrives on stdin."""
    with FileLock(str(lock_file_of(state_file_of(parac_root)))):
        print("locked", flush=True)
        sys.stdin.readline()


def try_lock(parac_root, timeout):
    try:
        with FileLock(str(lock_file_of(state_file_of(parac_root))), timeout=float(timeout)):
            print("acquired", flush=True)
    except FileLockTimeout:
        print("timeout", flush=True)


def calls(parac_root, script):
    """Applies model calls (a JSON list of [method, ...args]) in one load/save."""
    state = load_state(parac_root)
    for method, *args in json.loads(script):
        getattr(state, method)(*args)
    save_state(state, parac_root)
    print(json.dumps({"revision": state.revision}), flush=True)


def typed(value):
    """A YAML value as JSON that keeps Python's type: {"type": name, "value": ...}."""
    if isinstance(value, dict):
        return {"type": "dict", "value": [[typed(k), typed(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return {"type": "list", "value": [typed(v) for v in value]}
    if isinstance(value, float) and value != value:
        return {"type": "float", "value": "nan"}
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return {"type": "float", "value": "inf" if value > 0 else "-inf"}
    if isinstance(value, (str, bool, int, float)) or value is None:
        return {"type": type(value).__name__, "value": value}
    return {"type": type(value).__name__, "value": str(value)}


def read_yaml(path):
    """The file as PyYAML reads it (what `load_state` sees), or the error that makes it return None."""
    try:
        with open(path, encoding="utf-8") as f:
            print(json.dumps({"ok": True, "data": typed(yaml.safe_load(f))}))
    except yaml.YAMLError as e:
        print(json.dumps({"ok": False, "error": " ".join(str(e).split())}))


COMMANDS = {
    "race": race,
    "hold": hold,
    "try-lock": try_lock,
    "calls": calls,
    "read-yaml": read_yaml,
    "log": lambda root, change_type, description, revision: log_state_change(
        root, change_type, description, revision=None if revision == "-" else int(revision)
    ),
    "recent": lambda root, limit: print(json.dumps(get_recent_changes(root, int(limit)))),
    "clear": lambda root, days: print(json.dumps(clear_old_changes(root, float(days)))),
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
