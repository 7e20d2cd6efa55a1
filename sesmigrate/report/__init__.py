"""Reports of a plan for reviewers (text, Markdown, HTML), pipelines (JSON), operators (IAM
policies) and customers' developers (the cut-over kit)."""

from .model import REPORT_FORMAT_VERSION, report_data
from .render import FORMATS, render

__all__ = ["FORMATS", "REPORT_FORMAT_VERSION", "render", "report_data"]
