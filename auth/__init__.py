"""Users, roles, access policies, lockout and audit: plain Python, no Streamlit."""
