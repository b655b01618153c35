"""The baseline for benchmarks: a Streamlit app whose rerun does nothing but one widget."""

import streamlit as st

st.sidebar.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed")
