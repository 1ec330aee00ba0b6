"""Geodemographic segmentation in the manner of the Output Area Classification (DESIGN.md §6.5).

Census counts → variables (``variables``) → inverse hyperbolic sine and range standardisation, k-means with
many random starts and a hierarchy (``cluster``) → profiles and readable names (``profile``); or assignment to
a published classification's centroids (``assign``).
"""
