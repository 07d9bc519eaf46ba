/*
 * Benchmark peer: libwbxml's C tree API, timed in-process so the comparison with our codec
 * excludes process start-up and file I/O.
 *
 *   libwbxml-harness FILE MIN_MS
 *
 * decode = wbxml_tree_from_wbxml + wbxml_tree_destroy (building and freeing the tree, as our
 * decode builds a tree that the garbage collector later frees); encode = wbxml_tree_to_wbxml +
 * wbxml_free of a tree parsed once, with EAS parameters (WBXML 1.3, anonymous, no string table).
 * Prints one JSON line: nanoseconds per document for each, and the encoded length.
 *
 * Debian's libwbxml2-dev installs wbxml.h but not wbxml_tree.h, so the three tree functions
 * (exported by libwbxml2.so 0.11.8) are declared here with their upstream signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wbxml/wbxml.h>

typedef struct WBXMLTree_s WBXMLTree;
WBXMLError wbxml_tree_from_wbxml(WB_UTINY *wbxml, WB_ULONG wbxml_len, WBXMLLanguage lang,
                                 WBXMLCharsetMIBEnum charset, WBXMLTree **tree);
WBXMLError wbxml_tree_to_wbxml(WBXMLTree *tree, WB_UTINY **wbxml, WB_ULONG *wbxml_len,
                               WBXMLGenWBXMLParams *params);
void wbxml_tree_destroy(WBXMLTree *tree);
void wbxml_free(void *memblock);

/* CPU time of the process (all threads), like process.cpuUsage() on the Node side: on a shared
 * machine, wall time would also count the time spent waiting for a core. */
static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Wall time, printed beside the CPU figure. */
static double wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FILE MIN_MS\n", argv[0]);
    return 2;
  }
  double min_ns = atof(argv[2]) * 1e6;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  WB_UTINY *buf = malloc((size_t)len);
  if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  fclose(f);

  WBXMLTree *tree = NULL;
  WBXMLError err;
  /* Warm-up, and the tree the encode loop reuses. */
  err = wbxml_tree_from_wbxml(buf, (WB_ULONG)len, WBXML_LANG_ACTIVESYNC, WBXML_CHARSET_UTF_8, &tree);
  if (err != WBXML_OK) {
    fprintf(stderr, "decode failed: %s\n", wbxml_errors_string(err));
    return 1;
  }

  /* Batches doubling while under 1 ms keep clock reads out of the per-document figure. */
  long dn = 0, batch = 1;
  double w0 = wall_ns();
  double t0 = now_ns(), t;
  for (;;) {
    double b0 = now_ns();
    for (long i = 0; i < batch; i++) {
      WBXMLTree *t2 = NULL;
      err = wbxml_tree_from_wbxml(buf, (WB_ULONG)len, WBXML_LANG_ACTIVESYNC, WBXML_CHARSET_UTF_8, &t2);
      if (err != WBXML_OK) return 1;
      wbxml_tree_destroy(t2);
    }
    dn += batch;
    double now = now_ns();
    t = now - t0;
    if (t >= min_ns && dn >= 3) break;
    if (now - b0 < 1e6) batch *= 2;
  }
  double decode_ns = t / (double)dn;
  double decode_wall_ns = (wall_ns() - w0) / (double)dn;

  WBXMLGenWBXMLParams params;
  params.wbxml_version = WBXML_VERSION_13;
  params.keep_ignorable_ws = TRUE;
  params.use_strtbl = FALSE;
  params.produce_anonymous = TRUE;
  WB_UTINY *out = NULL;
  WB_ULONG out_len = 0;
  long en = 0;
  batch = 1;
  w0 = wall_ns();
  t0 = now_ns();
  for (;;) {
    double b0 = now_ns();
    for (long i = 0; i < batch; i++) {
      err = wbxml_tree_to_wbxml(tree, &out, &out_len, &params);
      if (err != WBXML_OK) {
        fprintf(stderr, "encode failed: %s\n", wbxml_errors_string(err));
        return 1;
      }
      wbxml_free(out);
    }
    en += batch;
    double now = now_ns();
    t = now - t0;
    if (t >= min_ns && en >= 3) break;
    if (now - b0 < 1e6) batch *= 2;
  }
  double encode_ns = t / (double)en;
  double encode_wall_ns = (wall_ns() - w0) / (double)en;

  wbxml_tree_destroy(tree);
  free(buf);
  printf("{\"decodeNs\":%.1f,\"encodeNs\":%.1f,\"decodeWallNs\":%.1f,\"encodeWallNs\":%.1f,"
         "\"decodeRuns\":%ld,\"encodeRuns\":%ld,\"encodedLength\":%lu}\n",
         decode_ns, encode_ns, decode_wall_ns, encode_wall_ns, dn, en, (unsigned long)out_len);
  return 0;
}
