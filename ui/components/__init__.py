"""Reusable pieces of the Streamlit pages."""
