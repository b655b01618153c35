"""The words on each page: what you see, what to try, one question and its answer."""

LESSONS = {
    "single_head": {
        "intro": (
            "One attention head, step by step. Each token's vector **x** is projected into a "
            "query **q = x W_Q**, a key **k = x W_K** and a value **v = x W_V**. The scores "
            "**QKᵀ** say how well each query matches each key; scaling by **1/√d_k** (and "
            "dividing by the temperature) gives the logits; a softmax over each row turns them "
            "into weights that sum to 1; the output of a query is the weighted average of the values. "
            "Here W_Q, W_K and W_V are **random and untrained** (drawn from the seed): the maths is "
            "the real one, the patterns are not what a trained model learns (see the pretrained "
            "model and the lab for those)."
        ),
        "try": (
            "- Turn **√d_k scaling** off and raise **d_k**: the weights collapse onto one key per row.\n"
            "- Lower the **temperature** below 1: the softmax sharpens; above 1 it flattens towards uniform.\n"
            "- Pick a **query token** and read its row as a probability distribution in the bar chart.\n"
            "- Switch on the **causal mask**: the grey cells are keys a query may not see.\n"
            "- Follow one query through the **worked example**: every number in it is read from "
            "the charts above.\n"
            "- Turn **Positional encoding** off in the sidebar: “The” and “the” share one embedding, "
            "so their rows become identical (the page measures the gap)."
        ),
        "question": "If every score in a row is the same number, what do that row's weights look like, "
                    "and does the temperature change them?",
        "choices": ["Uniform, 1/n per key, at any temperature",
                    "All the weight on the first key",
                    "Uniform only at temperature 1",
                    "It depends on d_k"],
        "correct": 0,
        "answer": "They are uniform, 1/n for each of the n allowed keys, whatever the temperature: "
                  "softmax only sees differences between logits, and scaling equal numbers keeps them equal.",
    },
    "multi_head": {
        "intro": (
            "Multi-head attention runs **H** heads side by side. Each head has its own projections "
            "W_Q, W_K, W_V into a smaller space of **d_head = d_model / H** dimensions, so each can "
            "look for a different relationship. The heads' outputs are concatenated and mixed by "
            "$W^O$ back into d_model dimensions: output = **Concat(head_1 … head_H)** $\\cdot W^O$, "
            "each token's row times a d_model × d_model matrix. All maps share one colour scale, "
            "so they compare. The **random projections** are untrained (drawn from the seed); "
            "the **designed heads** are set by hand to show what trained heads are known to do."
        ),
        "try": (
            "- Choose the **designed heads** preset: a local window, a previous-token head, a global "
            "(uniform) head and a first-token head, each produced by ordinary softmax(QKᵀ/√d) with "
            "queries and keys read from the positional encoding.\n"
            "- Then turn **Positional encoding** off in the sidebar: the local, previous-token and "
            "first-token heads spread uniformly. They found their keys by position alone.\n"
            "- With **random projections**, change the **seed**: untrained heads are mostly diffuse "
            "(near the top of the entropy–distance plot).\n"
            "- In the **values** table, find the global head and compare its output with the "
            "mean of its values (the gap column).\n"
            "- Compare two heads: the difference map shows where one looks and the other doesn't.\n"
            "- Raise **Heads** in the sidebar and watch d_head shrink."
        ),
        "question": "A head whose weights are exactly uniform: what does its output for every query look like?",
        "choices": ["The same vector for every query: the mean of the values",
                    "Each query's own value vector",
                    "A zero vector",
                    "A different random mix per query"],
        "correct": 0,
        "answer": "The same vector for every query: the plain average of all value vectors. "
                  "Such a head carries a summary of the whole sequence, not information about any one token.",
    },
    "causal": {
        "intro": (
            "An autoregressive model (GPT and its kin) predicts token *i + 1* from tokens 0..i, so "
            "query *i* must not see later keys. A **causal mask** sets those logits to −∞ before the "
            "softmax (drawn grey here), which gives them weight exactly 0. Each row then spreads "
            "over fewer keys: row 0 can only attend to itself. The mask is what lets training "
            "predict **every position of a sequence in parallel**, in one pass, without a row "
            "seeing its own answer."
        ),
        "try": (
            "- Compare the two maps: the allowed weights are renormalised, not just cut.\n"
            "- Move the **generation step**: rows appear one at a time, as a model computes them "
            "while it generates. Watch the rows already drawn each time a token is added.\n"
            "- Add **padding**: padded keys are masked for every query, a column mask rather than a triangle."
        ),
        "question": "When the model generates token 5, do the attention weights of rows 0–4 change?",
        "choices": ["No: they are fixed once computed",
                    "Yes: every row is renormalised over one more key",
                    "Only row 4 changes"],
        "correct": 0,
        "answer": "No. Under a causal mask row i depends only on tokens 0..i, so earlier rows are "
                  "fixed once computed; that is why generation can cache their keys and values (the KV cache). "
                  "It is also why a decoding step with that cache needs no mask at all: the new "
                  "token's query is the only new row, and there are no later keys yet.",
    },
    "entropy": {
        "intro": (
            "Entropy measures how spread out a row of weights is: **H = −Σ w log w** (in nats). "
            "It is 0 when a query attends to a single key and reaches its maximum **ln m** when it "
            "attends uniformly to all m keys it may see: for 8 tokens, ln 8 = 2.079 nats. Low "
            "entropy means focused attention, high entropy means diffuse attention."
        ),
        "try": (
            "- Sweep the **temperature**: entropy rises towards its maximum as it grows, and falls "
            "towards 0 as it shrinks.\n"
            "- Switch on the **causal mask**: query i can attend to only i + 1 keys, so its maximum "
            "is ln(i + 1), and a mean over the rows can reach at most the mean of ln(i + 1) "
            "(1.326 nats for 8 tokens: the dashed line).\n"
            "- Choose **designed heads** for the per-head chart: the previous-token and first-token "
            "heads sit near 0, the local head near 1.25 nats (a window of about three keys), the "
            "global head at the maximum."
        ),
        "question": "A query attends to two keys with weights 0.5 and 0.5, and to nothing else. What is its entropy?",
        "choices": ["ln 2 ≈ 0.693 nats", "0 nats", "ln 8 ≈ 2.079 nats", "0.5 nats"],
        "correct": 0,
        "answer": "ln 2 ≈ 0.693 nats, the same as a uniform choice between two options, whatever the number of other keys.",
    },
    "pretrained": {
        "intro": (
            "The same mechanism in a **real trained model**: all-MiniLM-L6-v2, a small BERT with "
            "6 layers of 12 heads (d_model 384, d_head 32). Its tokenizer cuts the sentence into "
            "word pieces and adds **[CLS]** at the start and **[SEP]** at the end. Every head's map "
            "below is the model's own softmax(QKᵀ/√d_head), read from the model itself; nothing "
            "is designed or random."
        ),
        "try": (
            "- Scan the **model view**: layer 0 is mostly broad, with one sharp previous-token "
            "head (head 2, a stripe just below the diagonal); in layers 1–4 most heads park over "
            "half their weight on [CLS], the bright left column.\n"
            "- Sort the **statistics table** by previous-token score or entropy, then open that "
            "head in the **head detail** and follow q and k to its weights.\n"
            "- Turn on **Hide special tokens**: with [CLS] and [SEP] gone and the rows "
            "renormalised, what a sink head does with the rest of its weight shows up.\n"
            "- Type a sentence with a pronoun (“The animal didn't cross the street because it was "
            "too tired”): **Where does one token look** lists the heads that link it to each "
            "word; the rollout without special tokens shows the flow the [CLS] sink hides.\n"
            "- In the head detail of a sink head, compare the weight on [CLS] with the length "
            "of its value vector ‖v‖."
        ),
        "question": "Many heads put most of their weight on [CLS]. If attention is about "
                    "reading other tokens, what might such a head be doing?",
        "choices": ["Little: [CLS]'s value vector is short, so the head adds little",
                    "Copying the whole sentence's meaning into every token",
                    "Predicting the next word"],
        "correct": 0,
        "answer": "Often nothing: a softmax must put its weight somewhere, and a head with nothing "
                  "useful to read parks it on a token whose value changes the output little (a "
                  "\"no-op\" or attention sink; Clark et al. 2019). That is why hiding special "
                  "tokens and renormalising can make such a head look busier than it is.",
    },
    "gpt": {
        "intro": (
            "A **real GPT-style language model**, offline: SmolLM2-135M-Instruct, 30 layers of "
            "9 heads, causal, with rotary positions (RoPE) and grouped-query attention. It "
            "continues your prompt one token at a time; each new token adds **one query row** "
            "to every head's map, and the rows already computed are kept (the KV cache). Its "
            "weights ship 4-bit quantised and are de-quantised to float32 here."
        ),
        "try": (
            "- In **Generate**, drag the **Generation step** slider: one new row per token, and the "
            "five likeliest next tokens at that step.\n"
            "- Switch on **Sample** and raise the **Temperature**: the top-5 flattens (the same "
            "softmax as on the Entropy page); change the **Seed** for another story.\n"
            "- In **Induction heads**, compare the loss on the first and the second copy of a "
            "random sequence, then open the best head's map: a stripe one step right of the "
            "earlier copy's diagonal.\n"
            "- In **Attention sinks**, count the heads that park most of their weight on the "
            "first token, whatever it is.\n"
            "- In **GQA & RoPE**, pick two heads that share a key/value head and compare their keys."
        ),
        "question": "On the second copy of a random token sequence the loss falls from about 14 "
                    "nats to about 3. What lets the model predict tokens it has never seen in "
                    "that order before?",
        "choices": ["Heads that find the earlier copy of the current token and read what came "
                    "next (induction heads)",
                    "The model memorised these random tokens in training",
                    "The causal mask lets it see the next token"],
        "correct": 0,
        "answer": "Induction heads: a previous-token head writes \"what came before me\" into each "
                  "position, and a later head matches the current token against it, so it "
                  "attends to the token after the earlier copy and copies it. The sequence is "
                  "random, so nothing was memorised, and the causal mask hides every later token.",
    },
    "lab": {
        "intro": (
            "Here a small causal transformer **learns** its attention. In random tokens where a "
            "stretch repeats later, the repeat's next token is predictable only by finding the "
            "current token's earlier copy and copying what followed it: a **previous-token "
            "head** (layer 0) and an **induction head** (layer 1) do that together. First, a "
            "finished run on a repeated sequence; below, train your own and watch it form."
        ),
        "try": (
            "- Press **Train** with the defaults and watch the loss: it sits on a plateau, then "
            "drops in a few hundred steps while a layer-1 head's induction score shoots up.\n"
            "- Switch **Layers** to 1: the shipped 1-layer run never forms an induction head, "
            "because one layer cannot combine \"where was this token before\" with \"what came "
            "after it\"; its accuracy creeps up to a quarter of the 2-layer run's, with no jump.\n"
            "- **Knock out** the best induction head: the others cover for it and accuracy "
            "barely moves; knock out every one and the second copy costs what a guess costs.\n"
            "- Drag **Training step** back to the start: every head's map is blurry; move "
            "forward through the phase change and the stripes appear.\n"
            "- In **Generate**, type a sequence with a repeat and see the model continue it."
        ),
        "question": "The loss plateaus for a while, then drops quickly. Why would learning be "
                    "slow first and fast later, rather than steady?",
        "choices": ["Two heads only help together: each pays off once the other starts to work",
                    "The learning rate grows during training",
                    "The model first memorises the training sequences"],
        "correct": 0,
        "answer": "An induction head needs two heads that only help together: the layer-1 head "
                  "can only find the right key once layer 0 has written the previous token into "
                  "each position, and layer 0 gets little reward for doing so until the layer-1 "
                  "head uses it. Once both start to line up, each makes the other more useful, "
                  "and the loss falls fast: a phase change.",
    },
    "vision": {
        "intro": (
            "Attention is not only for words. A **vision transformer** cuts an image into "
            "square patches and treats each patch as a token: its pixels become a vector, a "
            "learned position says where it sits, and a **class token** in front gathers what "
            "the model needs to name the digit. Here a two-layer model reads scikit-learn's "
            "8x8 handwritten digits. Below: one test digit, where each head of the class token "
            "looks, **rollout** (attention followed through both layers) and **occlusion** "
            "(blank one patch, see how much the answer's probability drops)."
        ),
        "try": (
            "- Step through **Test digit**: do the heads look at the ink, or at the blank "
            "paper around it?\n"
            "- Compare rollout with occlusion: the page names the patches where they agree and "
            "where they do not.\n"
            "- Draw a digit in the text box (8 rows of 8 numbers, 0 = paper, 16 = ink), or "
            "change one patch of a test digit to turn a 1 into a 7.\n"
            "- Press **Train** with **Patch size** 1: 64 tokens, finer maps, slower learning; "
            "scrub **Training step** to watch the class token's maps sharpen."
        ),
        "question": "A head of the class token puts most of its weight on a blank corner "
                    "patch. Blanking that patch changes nothing. What does that tell you?",
        "choices": ["Where a head looks is not the same as what the answer depends on",
                    "The model is broken: it should look at the ink",
                    "Occlusion is wrong: the patch must matter"],
        "correct": 0,
        "answer": "Attention weights say where information is read from, not what the decision "
                  "needs: a head can read a blank patch as a cheap 'nothing here' signal, or "
                  "park its weight there when it has nothing to add, while other heads and "
                  "the residual stream carry the evidence. Occlusion measures dependence "
                  "directly, at the cost of one forward pass per patch. On the test digits the "
                  "two often agree on the strokes that tell one digit from another, and "
                  "disagree on the rest.",
    },
}
