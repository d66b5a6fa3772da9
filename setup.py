"""Installation script for netcol (dependencies are pinned in requirements.txt)."""
from setuptools import find_packages, setup

setup(
    name="netcol",
    version="0.1.0",
    description="Plastic spiking models of a neocortical column on NEURON",
    packages=find_packages(include=["netcol", "netcol.*"]),
    python_requires=">=3.11",
    install_requires=[
        "neuron>=9.0.2", "numpy", "scipy", "h5py", "mpi4py", "matplotlib", "tqdm",
    ],
    entry_points={"console_scripts": ["netcol = netcol.cli:main"]},
)
