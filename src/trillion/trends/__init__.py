"""Trends over time, fitted with their uncertainty: hardware price-performance and energy
efficiency, cloud prices, algorithmic efficiency, inference prices at fixed capability, grid
carbon intensity (`series`), each a log-linear fit with intervals and a back-test (`fit`)."""
