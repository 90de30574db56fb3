"""In JupyterLab: HTML render helpers, rich reprs, the IPython extension and the team card."""

__all__: list[str] = []
