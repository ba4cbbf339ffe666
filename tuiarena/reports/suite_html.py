"""Placeholder: replaced below."""
def to_html(report, result):
    return "<html></html>"
