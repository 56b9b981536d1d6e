//! vela-py: the pyo3 extension behind the `vela` Python package. Built in the Python issue; this crate only reserves its place in the workspace.
