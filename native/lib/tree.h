/* libhxns tree copy (tree.c): fd-relative, never following a symlink out of either side. */
#ifndef HX_TREE_H
#define HX_TREE_H
#include <stddef.h>
#include <stdint.h>

enum hx_copy_flag {
    HX_COPY_XATTRS = 1 << 0,       /* copy extended attributes (never *.overlay.*) */
    HX_COPY_HARDLINKS = 1 << 1,    /* names of one inode stay names of one inode */
    HX_COPY_REPLACE = 1 << 2,      /* replace existing non-directories, merge into directories */
    HX_COPY_ROOT_ATTRS = 1 << 3,   /* give the destination root the source root's owner, mode, times */
    HX_COPY_IGNORE_CHOWN = 1 << 4, /* an owner the kernel refuses is counted, not an error */
};

struct hx_copy_opts {
    unsigned flags;
    int64_t uid, gid; /* owner of everything copied, or -1 to keep the source's */
};

struct hx_copy_stats {
    uint64_t files, dirs, bytes, chown_skipped, xattrs_skipped, special_skipped;
};

/* Copy the contents of directory SRCFD into directory DSTFD (both opened O_RDONLY|O_DIRECTORY).
 * Returns 0, or -errno with a message in ERR. */
int hx_copy_tree(int srcfd, int dstfd, const struct hx_copy_opts *o, struct hx_copy_stats *stats, char *err, size_t errlen);

/* Copy one entry, the O_PATH fd SRC (a directory, file, symlink...: what it is, not what a
 * symlink names), as NAME (one path component) in directory DSTFD. SRC stays the caller's. */
int hx_copy_entry(int src, int dstfd, const char *name, const struct hx_copy_opts *o, struct hx_copy_stats *stats, char *err, size_t errlen);

#endif
