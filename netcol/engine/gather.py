"""Collecting per-gid values from every rank on rank 0 (or on every rank)."""
from .runtime import parallel_context


def gather_by_gid(local, everywhere=False):
    """Merge {gid: value} dicts from every rank.

    Parameters
    ----------
    local : dict
        This rank's values by gid (or by any key unique across ranks).
    everywhere : bool
        Return the merged dict on every rank (allgather) instead of on rank 0 only.

    Returns
    -------
    dict or None
        The merged dict (None on ranks other than 0 unless everywhere).
    """
    pc = parallel_context()
    parts = pc.py_allgather(local) if everywhere else pc.py_gather(local, 0)
    if not everywhere and pc.id() != 0:
        return None
    return {k: v for part in parts for k, v in part.items()}
