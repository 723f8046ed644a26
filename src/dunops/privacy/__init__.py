"""Privacy services: data export, correction, deletion, purge and backup ageing."""
