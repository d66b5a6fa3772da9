"""A shim for tools and people that expect setup.py: the metadata is in pyproject.toml."""
from setuptools import setup

setup()
