"""Overview: what attention computes, and where to look next."""

import streamlit as st

from attention.dashboard import handout, workshop
from attention.dashboard.page_parts import LIMITS, shared
from attention.dashboard.page_registry import PAGES

st.title("Attention Explorer")
workshop.banner("")
st.markdown(
    "Attention lets a model decide, for every position, **which other positions to read from**. "
    "Each token asks a question (its *query*), every token offers a description of itself "
    "(its *key*) and some content (its *value*). The better a query matches a key, the more of "
    "that key's value flows into the query's output."
)

st.subheader("Scaled dot-product attention")
st.latex(r"\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V")
st.markdown(
    "with $Q \\in \\mathbb{R}^{n \\times d_k}$ the queries, $K \\in \\mathbb{R}^{m \\times d_k}$ the keys, "
    "$V \\in \\mathbb{R}^{m \\times d_v}$ the values, $d_k$ the width of queries and keys and $d_v$ that of values."
)
st.markdown("The attention weights form one probability distribution over the keys per query:")
st.latex(r"\alpha_{ij} = \frac{\exp\!\left(q_i \cdot k_j / \sqrt{d_k}\right)}{\sum_{l} \exp\!\left(q_i \cdot k_l / \sqrt{d_k}\right)}, \qquad \sum_j \alpha_{ij} = 1")
st.markdown(
    "**Why divide by √d_k?** If the entries of $q$ and $k$ are independent with mean 0 and "
    "variance 1, then $q \\cdot k$ has variance $d_k$. Large logits push the softmax towards a "
    "one-hot vector, where its gradients vanish; dividing by $\\sqrt{d_k}$ brings the variance back to 1."
)
st.latex(r"\operatorname{Var}(q \cdot k) = d_k \quad\Longrightarrow\quad \operatorname{Var}\!\left(\frac{q \cdot k}{\sqrt{d_k}}\right) = 1")

st.subheader("Multi-head attention")
st.latex(r"\operatorname{MultiHead}(Q, K, V) = \operatorname{Concat}(\text{head}_1, \ldots, \text{head}_h)\, W^O, \quad \text{head}_i = \operatorname{Attention}(Q W_i^Q, K W_i^K, V W_i^V)")
st.markdown(
    "with learned projections $W_i^Q, W_i^K \\in \\mathbb{R}^{d_{model} \\times d_k}$, "
    "$W_i^V \\in \\mathbb{R}^{d_{model} \\times d_v}$ and $W^O \\in \\mathbb{R}^{h d_v \\times d_{model}}$. "
    "Tokens are rows: $\\operatorname{Concat}(\\ldots)$ is $n \\times h d_v$, so the output "
    "$\\operatorname{Concat} \\cdot W^O$ is $n \\times d_{model}$. (torch stores $W^O$ transposed, "
    "as `out_proj.weight`, and computes `concat @ out_proj.weight.T`: the same product.) "
    "Some heads attend locally (nearby positions), others globally (the whole sequence)."
)

st.subheader("Causal masking and entropy")
st.latex(r"\operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}} + M\right), \quad M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i \end{cases}")
st.latex(r"H(\alpha_i) = -\sum_{j=1}^{m} \alpha_{ij} \ln \alpha_{ij}, \qquad 0 \le H \le \ln m \quad (\ln 8 \approx 2.079 \text{ nats})")
st.markdown("The bound counts the **m keys the query may see**: all of them without a mask, "
            "i + 1 for query i under the causal mask, so its maximum there is ln(i + 1).")

st.subheader("Explore")
cols = st.columns(3)  # two rows of three: every title whole on a 1280-pixel projector
for i, p in enumerate(PAGES[1:]):
    cols[i % 3].page_link(p.file, label=p.title, icon=p.icon, help=p.summary)
st.caption("Every control lives in the URL: copy the address bar to share exactly what you see.")

st.subheader("Workshop path")
workshop.path_table()
handout.offer(shared(), LIMITS)
workshop.next_step("")
