"""Attention Explorer: the entry file. Page config, torch threads, navigation."""

import streamlit as st

st.set_page_config(page_title="Attention Explorer", page_icon="🔍", layout="wide")
st.title("Attention Explorer")
st.write("Scaled dot-product attention, multi-head attention, causal masks and entropy.")
