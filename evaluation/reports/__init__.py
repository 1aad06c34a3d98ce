"""Printed and exported reports: annual lists, individual forms, monthly and quarterly sheets.

`annual` selects the data (one module shared by the PDF, the Excel file and the HTML page), `pdf`
and `excel` render it, `jobs` builds large reports in the background (django-q2, `ReportJob`).
"""
