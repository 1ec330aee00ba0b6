"""Documents and charts rendered the same for the web page, the PDF and the JSON twin."""
