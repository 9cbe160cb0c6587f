"""Economic blocks. Each module holds one block: its parameter schema (``SCHEMA``), the
packing of validated parameters into a flat float array (``pack``), and its ``@njit`` step.

The state of one path lives in a column of a (``N_STATE`` x paths) array; the indices are
in :mod:`engine.blocks.state`.
"""
