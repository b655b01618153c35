"""The dashboard's Streamlit side: shared controls, cached compute, link validation, text."""
