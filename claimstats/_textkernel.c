/* The two loops of claimstats.classify.TextFeatures that NumPy does in many passes, in one pass
 * each, without the interpreter's lock:
 *
 *   ascii_token_ids  texts cut by a byte table (Arrow's offsets and bytes: ASCII, or lower-cased UTF-8
 *                    whose other non-word characters are spaces already) -> each token's word id and row
 *   tfidf_rows       word ids and rows -> the CSR arrays of the length column and the TF-IDF weights
 *
 * They compute what the NumPy path computes, operation for operation (the same products, sums in
 * the same order, the same square root and division), so the matrices are equal bit for bit; the
 * build turns off the contraction of a multiply and an add into one fused step, which would round
 * once where NumPy rounds twice. claimstats.classify checks the arguments; these check sizes (by
 * division: no count overflows) and every index they follow, and read private copies of the
 * arguments they index by, so another thread cannot change them while the lock is let go.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ words */

typedef struct {
    int64_t *slots;  /* word index or -1; open addressing, linear probing */
    uint64_t mask;
    const unsigned char *bytes;  /* the words' UTF-8 bytes, one after the other */
    const int64_t *offsets;      /* word w is bytes[offsets[w]:offsets[w + 1]] */
} Words;

static uint64_t
fnv1a_start(void)
{
    return 1469598103934665603ULL;
}

static uint64_t
fnv1a_step(uint64_t hash, unsigned char byte)
{
    return (hash ^ byte) * 1099511628211ULL;
}

static int
words_build(Words *words, const unsigned char *bytes, const int64_t *offsets, Py_ssize_t n_words)
{
    uint64_t size = 16;
    while (size < 4 * (uint64_t)n_words)
        size <<= 1;
    words->slots = (int64_t *)malloc(size * sizeof(int64_t));
    if (words->slots == NULL)
        return -1;
    for (uint64_t i = 0; i < size; i++)
        words->slots[i] = -1;
    words->mask = size - 1;
    words->bytes = bytes;
    words->offsets = offsets;
    for (Py_ssize_t w = 0; w < n_words; w++) {
        uint64_t hash = fnv1a_start();
        for (int64_t i = offsets[w]; i < offsets[w + 1]; i++)
            hash = fnv1a_step(hash, bytes[i]);
        uint64_t slot = hash & words->mask;
        while (words->slots[slot] != -1)
            slot = (slot + 1) & words->mask;
        words->slots[slot] = w;  /* the words are distinct: the first match is the only one */
    }
    return 0;
}

/* The word whose bytes equal table[text[0]], ..., table[text[length - 1]], or -1. */
static int64_t
words_find(const Words *words, const unsigned char *table, const unsigned char *text, int64_t length,
           uint64_t hash)
{
    uint64_t slot = hash & words->mask;
    while (words->slots[slot] != -1) {
        int64_t w = words->slots[slot];
        int64_t start = words->offsets[w];
        if (words->offsets[w + 1] - start == length) {
            int64_t i = 0;
            while (i < length && words->bytes[start + i] == table[text[i]])
                i++;
            if (i == length)
                return w;
        }
        slot = (slot + 1) & words->mask;
    }
    return -1;
}

/* ------------------------------------------------------------ buffers */

/* Whether the buffer holds `items` items of `item_size` bytes; checked by division, so no count overflows. */
static int
check_size(const Py_buffer *buffer, Py_ssize_t items, Py_ssize_t item_size, const char *what)
{
    if (items < 0 || items > buffer->len / item_size) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes; %zd items of %zd bytes are needed", what, buffer->len,
                     items, item_size);
        return -1;
    }
    return 0;
}

/* A private copy of the first `size` bytes of a buffer (NULL and MemoryError when none can be had).
 * The kernel reads its arguments without the interpreter's lock: a copy, checked once, cannot be
 * changed under it by another thread. */
static void *
copy_of(const Py_buffer *buffer, size_t size)
{
    void *copy = malloc(size ? size : 1);
    if (copy == NULL)
        PyErr_NoMemory();
    else if (size)
        memcpy(copy, buffer->buf, size);
    return copy;
}

/* ------------------------------------------------------- ascii_token_ids */

/* Tokens of texts 0..n_texts - 1 (bytes bounds[d]..bounds[d + 1] of data): runs of bytes that the
 * table does not map to a space (32), of two characters or more, each looked up (after the table)
 * among the words. A character is a byte, or with utf8 set a UTF-8 sequence (continuation bytes,
 * 0b10xxxxxx, are not counted). Pass 1 counts them, pass 2 writes at most `capacity` of them and
 * returns how many it found (more than pass 1 only if the bytes changed in between). */
static int
starts_character(unsigned char byte, int utf8)
{
    return !utf8 || (byte & 0xC0) != 0x80;
}

static Py_ssize_t
count_tokens(const int64_t *bounds, Py_ssize_t n_texts, const unsigned char *data, const unsigned char *table,
             int utf8)
{
    Py_ssize_t tokens = 0;
    for (Py_ssize_t d = 0; d < n_texts; d++) {
        int64_t run = 0;
        for (int64_t i = bounds[d]; i < bounds[d + 1]; i++) {
            if (table[data[i]] != 32) {
                run += starts_character(data[i], utf8);
            } else {
                tokens += run >= 2;
                run = 0;
            }
        }
        tokens += run >= 2;
    }
    return tokens;
}

static Py_ssize_t
write_tokens(const int64_t *bounds, Py_ssize_t n_texts, const unsigned char *data, const unsigned char *table,
             int utf8, const Words *words, int64_t *ids, int64_t *rows, Py_ssize_t capacity)
{
    Py_ssize_t k = 0;
    for (Py_ssize_t d = 0; d < n_texts; d++) {
        int64_t end = bounds[d + 1];
        int64_t i = bounds[d];
        while (i < end) {
            while (i < end && table[data[i]] == 32)
                i++;
            int64_t first = i, characters = 0;
            uint64_t hash = fnv1a_start();
            while (i < end && table[data[i]] != 32) {
                characters += starts_character(data[i], utf8);
                hash = fnv1a_step(hash, table[data[i++]]);
            }
            if (characters >= 2) {
                if (k < capacity) {
                    ids[k] = words_find(words, table, data + first, i - first, hash);
                    rows[k] = d;
                }
                k++;
            }
        }
    }
    return k;
}

static PyObject *
ascii_token_ids(PyObject *self, PyObject *args)
{
    Py_buffer offsets = {0}, data = {0}, table = {0}, word_bytes = {0}, word_offsets = {0};
    Py_ssize_t start, n_texts, n_words;
    int wide, utf8;
    PyObject *ids = NULL, *rows = NULL, *result = NULL;
    Words words = {0};
    int64_t *bounds = NULL, *word_at = NULL;
    unsigned char *word_copy = NULL, own_table[256];
    (void)self;

    if (!PyArg_ParseTuple(args, "y*pnny*y*py*y*n", &offsets, &wide, &start, &n_texts, &data, &table, &utf8,
                          &word_bytes, &word_offsets, &n_words))
        return NULL;
    if (start < 0 || n_texts < 0 || n_words < 0 || start > PY_SSIZE_T_MAX - n_texts - 1 ||
        n_words > PY_SSIZE_T_MAX / 8 - 1) {
        PyErr_SetString(PyExc_ValueError, "start, n_texts and n_words must be counts");
        goto done;
    }
    if (check_size(&offsets, start + n_texts + 1, wide ? 8 : 4, "offsets") || check_size(&table, 256, 1, "table") ||
        check_size(&word_offsets, n_words + 1, 8, "word offsets"))
        goto done;
    memcpy(own_table, table.buf, 256);
    bounds = (int64_t *)malloc(((size_t)n_texts + 1) * sizeof(int64_t));
    if (bounds == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t d = 0; d <= n_texts; d++)
        bounds[d] = wide ? ((const int64_t *)offsets.buf)[start + d] : (int64_t)((const int32_t *)offsets.buf)[start + d];
    for (Py_ssize_t d = 0; d <= n_texts; d++) {
        if (bounds[d] < 0 || bounds[d] > data.len || (d && bounds[d] < bounds[d - 1])) {
            PyErr_SetString(PyExc_ValueError, bounds[d] < 0 || bounds[d] > data.len ?
                            "the offsets point outside the text bytes" : "the offsets go backwards");
            goto done;
        }
    }
    word_at = (int64_t *)copy_of(&word_offsets, ((size_t)n_words + 1) * sizeof(int64_t));
    word_copy = (unsigned char *)copy_of(&word_bytes, (size_t)word_bytes.len);
    if (word_at == NULL || word_copy == NULL)
        goto done;
    for (Py_ssize_t w = 0; w < n_words; w++) {
        if (word_at[w] < 0 || word_at[w + 1] < word_at[w] || word_at[w + 1] > word_bytes.len) {
            PyErr_SetString(PyExc_ValueError, "the word offsets point outside the word bytes");
            goto done;
        }
    }
    if (words_build(&words, word_copy, word_at, n_words)) {
        PyErr_NoMemory();
        goto done;
    }
    {
        Py_ssize_t n_tokens, found;
        const unsigned char *text = (const unsigned char *)data.buf;
        Py_BEGIN_ALLOW_THREADS
        n_tokens = count_tokens(bounds, n_texts, text, own_table, utf8);
        Py_END_ALLOW_THREADS
        ids = PyByteArray_FromStringAndSize(NULL, n_tokens * 8);
        rows = PyByteArray_FromStringAndSize(NULL, n_tokens * 8);
        if (ids == NULL || rows == NULL)
            goto done;
        int64_t *id_out = (int64_t *)PyByteArray_AS_STRING(ids), *row_out = (int64_t *)PyByteArray_AS_STRING(rows);
        Py_BEGIN_ALLOW_THREADS
        found = write_tokens(bounds, n_texts, text, own_table, utf8, &words, id_out, row_out, n_tokens);
        Py_END_ALLOW_THREADS
        if (found != n_tokens) {
            PyErr_SetString(PyExc_RuntimeError, "the text bytes changed while they were cut");
            goto done;
        }
    }
    result = PyTuple_Pack(2, ids, rows);
done:
    free(words.slots);
    free(bounds);
    free(word_at);
    free(word_copy);
    Py_XDECREF(ids);
    Py_XDECREF(rows);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    PyBuffer_Release(&table);
    PyBuffer_Release(&word_bytes);
    PyBuffer_Release(&word_offsets);
    return result;
}

/* ------------------------------------------------------------ tfidf_rows */

static void
sort_columns(int32_t *columns, Py_ssize_t n)
{
    for (Py_ssize_t i = 1; i < n; i++) {  /* insertion sort: a text has a few dozen terms */
        int32_t value = columns[i];
        Py_ssize_t j = i;
        while (j > 0 && columns[j - 1] > value) {
            columns[j] = columns[j - 1];
            j--;
        }
        columns[j] = value;
    }
}

static int
compare_columns(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The term columns of token k and of the pair (k, k + 1), or -1; as TextFeatures._transform finds them. */
static int32_t
unigram_of(const int64_t *ids, Py_ssize_t k, const int64_t *unigram_column)
{
    return ids[k] >= 0 ? (int32_t)unigram_column[ids[k]] : -1;
}

static int32_t
pair_of(const int64_t *ids, const int64_t *rows, Py_ssize_t k, Py_ssize_t n_tokens, const int32_t *pair_table,
        int64_t n_words)
{
    if (k + 1 >= n_tokens || ids[k] < 0 || ids[k + 1] < 0 || rows[k] != rows[k + 1])
        return -1;
    return pair_table[ids[k] * n_words + ids[k + 1]];
}

static PyObject *
tfidf_rows(PyObject *self, PyObject *args)
{
    Py_buffer ids = {0}, rows = {0}, unigram = {0}, pairs = {0}, idf = {0}, lengths = {0};
    Py_ssize_t n_docs, n_words;
    PyObject *data = NULL, *indices = NULL, *indptr = NULL, *result = NULL;
    int64_t *starts = NULL, *kept = NULL, *id = NULL, *row = NULL, *unigram_column = NULL;
    int32_t *columns = NULL, *counts = NULL, *pair_table = NULL;
    double *idf_of = NULL, *length_of = NULL;

    if (!PyArg_ParseTuple(args, "y*y*ny*y*ny*y*", &ids, &rows, &n_docs, &unigram, &pairs, &n_words, &idf, &lengths))
        return NULL;
    (void)self;
    Py_ssize_t n_tokens = ids.len / 8, n_terms = idf.len / 8;
    if (n_docs < 0 || n_words < 0 || n_words > 3037000498 || n_docs > PY_SSIZE_T_MAX / 8 - 1 ||
        n_terms > INT32_MAX - 1) {
        PyErr_SetString(PyExc_ValueError, "n_docs, n_words and the terms must be counts that fit the matrix");
        goto done;
    }
    if (check_size(&rows, n_tokens, 8, "rows") || check_size(&unigram, n_words + 1, 8, "unigram columns") ||
        check_size(&pairs, n_words * n_words + 1, 4, "pair table") || check_size(&lengths, n_docs, 8, "lengths"))
        goto done;
    /* private copies, checked once: the loops below run without the interpreter's lock */
    id = (int64_t *)copy_of(&ids, (size_t)n_tokens * 8);
    row = (int64_t *)copy_of(&rows, (size_t)n_tokens * 8);
    unigram_column = (int64_t *)copy_of(&unigram, ((size_t)n_words + 1) * 8);
    pair_table = (int32_t *)copy_of(&pairs, ((size_t)n_words * (size_t)n_words + 1) * 4);
    idf_of = (double *)copy_of(&idf, (size_t)n_terms * 8);
    length_of = (double *)copy_of(&lengths, (size_t)n_docs * 8);
    if (id == NULL || row == NULL || unigram_column == NULL || pair_table == NULL || idf_of == NULL ||
        length_of == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < n_tokens; k++) {
        if (id[k] >= n_words || row[k] < 0 || row[k] >= n_docs) {
            PyErr_SetString(PyExc_ValueError, "a word id or a row is out of range");
            goto done;
        }
    }
    for (Py_ssize_t w = 0; w <= n_words; w++) {  /* a negative column is none, as NumPy's path reads it */
        if (unigram_column[w] >= n_terms) {
            PyErr_SetString(PyExc_ValueError, "a unigram column is out of range");
            goto done;
        }
        if (unigram_column[w] < 0)
            unigram_column[w] = -1;
    }
    for (Py_ssize_t p = 0; p <= n_words * n_words; p++) {
        if (pair_table[p] >= n_terms) {
            PyErr_SetString(PyExc_ValueError, "a pair column is out of range");
            goto done;
        }
        if (pair_table[p] < 0)
            pair_table[p] = -1;
    }
    starts = (int64_t *)calloc((size_t)n_docs + 1, sizeof(int64_t));
    kept = (int64_t *)calloc((size_t)n_docs + 1, sizeof(int64_t));
    if (starts == NULL || kept == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n_entries = 0;
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    /* each text's entries (a term's every occurrence), then its distinct terms and their counts */
    for (Py_ssize_t k = 0; k < n_tokens; k++)
        starts[row[k] + 1] += (unigram_of(id, k, unigram_column) >= 0) +
                              (pair_of(id, row, k, n_tokens, pair_table, n_words) >= 0);
    for (Py_ssize_t d = 0; d < n_docs; d++)
        starts[d + 1] += starts[d];
    n_entries = starts[n_docs];
    columns = (int32_t *)malloc(((size_t)n_entries + 1) * sizeof(int32_t));
    counts = (int32_t *)malloc(((size_t)n_entries + 1) * sizeof(int32_t));
    int64_t *fill = (int64_t *)malloc(((size_t)n_docs + 1) * sizeof(int64_t));
    if (columns == NULL || counts == NULL || fill == NULL) {
        failed = 1;
    } else {
        memcpy(fill, starts, ((size_t)n_docs + 1) * sizeof(int64_t));
        for (Py_ssize_t k = 0; k < n_tokens; k++) {
            int32_t column = unigram_of(id, k, unigram_column);
            if (column >= 0)
                columns[fill[row[k]]++] = column;
            column = pair_of(id, row, k, n_tokens, pair_table, n_words);
            if (column >= 0)
                columns[fill[row[k]]++] = column;
        }
        for (Py_ssize_t d = 0; d < n_docs; d++) {
            int32_t *own = columns + starts[d];
            int32_t *own_counts = counts + starts[d];
            Py_ssize_t n = (Py_ssize_t)(starts[d + 1] - starts[d]), distinct = 0;
            if (n > 64)
                qsort(own, (size_t)n, sizeof(int32_t), compare_columns);
            else
                sort_columns(own, n);
            for (Py_ssize_t i = 0; i < n; i++) {
                if (distinct && own[distinct - 1] == own[i]) {
                    own_counts[distinct - 1]++;
                } else {
                    own[distinct] = own[i];
                    own_counts[distinct++] = 1;
                }
            }
            kept[d + 1] = kept[d] + distinct + 1;  /* and the length column */
        }
    }
    free(fill);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t nnz = (Py_ssize_t)kept[n_docs];
    data = PyByteArray_FromStringAndSize(NULL, nnz * 8);
    indices = PyByteArray_FromStringAndSize(NULL, nnz * 4);
    indptr = PyByteArray_FromStringAndSize(NULL, (n_docs + 1) * 8);
    if (data == NULL || indices == NULL || indptr == NULL)
        goto done;
    {
        double *out_data = (double *)PyByteArray_AS_STRING(data);
        int32_t *out_indices = (int32_t *)PyByteArray_AS_STRING(indices);
        int64_t *out_indptr = (int64_t *)PyByteArray_AS_STRING(indptr);
        Py_BEGIN_ALLOW_THREADS
        memcpy(out_indptr, kept, ((size_t)n_docs + 1) * sizeof(int64_t));
        for (Py_ssize_t d = 0; d < n_docs; d++) {
            int64_t at = kept[d], n = kept[d + 1] - kept[d] - 1;
            const int32_t *own = columns + starts[d], *own_counts = counts + starts[d];
            double *weights = out_data + at + 1;
            double squares = 0.0;
            for (int64_t i = 0; i < n; i++) {  /* count x idf; the squares summed in column order */
                weights[i] = (double)own_counts[i] * idf_of[own[i]];
                squares += weights[i] * weights[i];
            }
            double norm = sqrt(squares);
            double divisor = norm > 0 ? norm : 1.0;
            for (int64_t i = 0; i < n; i++) {
                weights[i] /= divisor;
                out_indices[at + 1 + i] = own[i] + 1;
            }
            out_data[at] = length_of[d];
            out_indices[at] = 0;
        }
        Py_END_ALLOW_THREADS
    }
    result = PyTuple_Pack(3, data, indices, indptr);
done:
    free(starts);
    free(kept);
    free(columns);
    free(counts);
    free(id);
    free(row);
    free(unigram_column);
    free(pair_table);
    free(idf_of);
    free(length_of);
    Py_XDECREF(data);
    Py_XDECREF(indices);
    Py_XDECREF(indptr);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&unigram);
    PyBuffer_Release(&pairs);
    PyBuffer_Release(&idf);
    PyBuffer_Release(&lengths);
    return result;
}

/* ---------------------------------------------------------------- module */

static PyMethodDef methods[] = {
    {"ascii_token_ids", ascii_token_ids, METH_VARARGS,
     "ascii_token_ids(offsets, wide, start, n_texts, data, table, utf8, word_bytes, word_offsets, n_words)"
     " -> (ids, rows): int64 bytes of each token's word id (-1: none) and text"},
    {"tfidf_rows", tfidf_rows, METH_VARARGS,
     "tfidf_rows(ids, rows, n_docs, unigram_column, pair_table, n_words, idf, lengths)"
     " -> (data, indices, indptr): float64, int32 and int64 bytes of the CSR matrix"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textkernel", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__textkernel(void)
{
    return PyModule_Create(&module);
}
