"""Report content as data (township.py, summary.py, diagnosis.py) and its HTML (render.py,
charts.py, html.py, style.py); the report notebooks call report.notebook. See docs/reports.md."""
