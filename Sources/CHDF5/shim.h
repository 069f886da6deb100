#ifndef MP_HDF5_SHIM_H
#define MP_HDF5_SHIM_H
// HDF5's type and property constants are macros over C globals that need H5open() first, and Swift 6
// rejects references to such mutable globals. Each is exposed here as an inline function instead.
#include <hdf5.h>

static inline int mp_h5_open(void) { return (int)H5open(); }
static inline hid_t mp_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mp_h5s_all(void) { return H5S_ALL; }
static inline hid_t mp_h5p_dataset_create(void) { H5open(); return H5P_DATASET_CREATE; }
static inline hid_t mp_h5p_file_access(void) { H5open(); return H5P_FILE_ACCESS; }
static inline hid_t mp_h5p_dataset_xfer(void) { H5open(); return H5P_DATASET_XFER; }
static inline hid_t mp_h5t_native_double(void) { H5open(); return H5T_NATIVE_DOUBLE; }
static inline hid_t mp_h5t_native_float(void) { H5open(); return H5T_NATIVE_FLOAT; }
static inline hid_t mp_h5t_native_int64(void) { H5open(); return H5T_NATIVE_INT64; }
static inline hid_t mp_h5t_native_int32(void) { H5open(); return H5T_NATIVE_INT32; }
static inline hid_t mp_h5t_native_int16(void) { H5open(); return H5T_NATIVE_INT16; }
static inline hid_t mp_h5t_native_uint8(void) { H5open(); return H5T_NATIVE_UINT8; }
static inline hid_t mp_h5t_c_s1(void) { H5open(); return H5T_C_S1; }
static inline unsigned mp_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned mp_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned mp_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned mp_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hid_t mp_h5dopen(hid_t loc, const char *name) { return H5Dopen2(loc, name, H5P_DEFAULT); }
/// Silences HDF5's automatic error-stack printing; callers turn failures into Swift errors instead.
static inline void mp_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// ---- Added for the IO layer (HDF5Arrays) ----
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline hid_t mp_h5p_link_create(void) { H5open(); return H5P_LINK_CREATE; }
static inline hid_t mp_h5p_attribute_create(void) { H5open(); return H5P_ATTRIBUTE_CREATE; }
static inline hid_t mp_h5t_native_int8(void) { H5open(); return H5T_NATIVE_INT8; }
static inline hid_t mp_h5t_native_uint16(void) { H5open(); return H5T_NATIVE_UINT16; }
static inline hid_t mp_h5t_native_uint32(void) { H5open(); return H5T_NATIVE_UINT32; }
static inline hid_t mp_h5t_native_uint64(void) { H5open(); return H5T_NATIVE_UINT64; }
static inline hid_t mp_h5t_native_b8(void) { H5open(); return H5T_NATIVE_B8; }
static inline hid_t mp_h5t_native_b16(void) { H5open(); return H5T_NATIVE_B16; }
static inline hid_t mp_h5t_native_b32(void) { H5open(); return H5T_NATIVE_B32; }
static inline hid_t mp_h5t_native_b64(void) { H5open(); return H5T_NATIVE_B64; }
// Little-endian standard file types, so files written here are the same on every host.
static inline hid_t mp_h5t_ieee_f64le(void) { H5open(); return H5T_IEEE_F64LE; }
static inline hid_t mp_h5t_ieee_f32le(void) { H5open(); return H5T_IEEE_F32LE; }
static inline hid_t mp_h5t_std_i64le(void) { H5open(); return H5T_STD_I64LE; }
static inline hid_t mp_h5t_std_i32le(void) { H5open(); return H5T_STD_I32LE; }
static inline hid_t mp_h5t_std_i16le(void) { H5open(); return H5T_STD_I16LE; }
static inline hid_t mp_h5t_std_u8le(void) { H5open(); return H5T_STD_U8LE; }
static inline size_t mp_h5t_variable(void) { return H5T_VARIABLE; }

/// The object type (H5O_TYPE_GROUP, H5O_TYPE_DATASET, ...) of `name` relative to `loc`, or -1 on error.
static inline int mp_h5_object_type(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
#endif
    return (int)info.type;
}

/// Called once per dataset found by mp_h5_visit_datasets with its path relative to the start object.
/// Return 0 to continue, non-zero to stop.
typedef int (*mp_h5_dataset_visitor)(const char *name, void *context);
typedef struct { mp_h5_dataset_visitor visit; void *context; } mp_h5_visit_state;

#if H5_VERSION_GE(1, 12, 0)
static inline herr_t mp_h5_visit_cb(hid_t obj, const char *name, const H5O_info2_t *info, void *data) {
#else
static inline herr_t mp_h5_visit_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data) {
#endif
    (void)obj;
    mp_h5_visit_state *state = (mp_h5_visit_state *)data;
    if (info->type == H5O_TYPE_DATASET) return (herr_t)state->visit(name, state->context);
    return 0;
}

/// Visits every dataset reachable from `loc` (recursively, in name order, each object once).
static inline herr_t mp_h5_visit_datasets(hid_t loc, mp_h5_dataset_visitor visit, void *context) {
    mp_h5_visit_state state = { visit, context };
#if H5_VERSION_GE(1, 12, 0)
    return H5Ovisit3(loc, H5_INDEX_NAME, H5_ITER_INC, mp_h5_visit_cb, &state, H5O_INFO_BASIC);
#else
    return H5Ovisit2(loc, H5_INDEX_NAME, H5_ITER_INC, mp_h5_visit_cb, &state, H5O_INFO_BASIC);
#endif
}

typedef struct { char *buffer; size_t length; int found; } mp_h5_error_state;

static inline herr_t mp_h5_error_walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    mp_h5_error_state *state = (mp_h5_error_state *)data;
    if (state->found || err == NULL || err->desc == NULL || err->desc[0] == '\0') return 0;
    const char *func = err->func_name ? err->func_name : "?";
    snprintf(state->buffer, state->length, "%s (in %s)", err->desc, func);
    state->found = 1;
    (void)n;
    return 0;
}

/// Writes the most specific message on the current thread's HDF5 error stack into `buffer`
/// (empty when the stack is empty). Returns the number of bytes written.
static inline size_t mp_h5_last_error(char *buffer, size_t length) {
    if (length == 0) return 0;
    buffer[0] = '\0';
    mp_h5_error_state state = { buffer, length, 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, mp_h5_error_walk_cb, &state);
    return strlen(buffer);
}

/// Writes a scalar variable-length UTF-8 string attribute (h5py reads it as `str`).
static inline herr_t mp_h5_write_string_attribute(hid_t obj, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0) return -1;
    herr_t status = -1;
    if (H5Tset_size(type, H5T_VARIABLE) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0) {
        hid_t space = H5Screate(H5S_SCALAR);
        if (space >= 0) {
            hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
            if (attr >= 0) {
                status = H5Awrite(attr, type, &value);
                H5Aclose(attr);
            }
            H5Sclose(space);
        }
    }
    H5Tclose(type);
    return status;
}

/// Reads a scalar string attribute (fixed or variable length) into a malloc'ed, NUL-terminated buffer
/// the caller frees with free(). Returns NULL on error or when the attribute is not a scalar string.
static inline char *mp_h5_read_string_attribute(hid_t attr) {
    hid_t ftype = H5Aget_type(attr);
    if (ftype < 0) return NULL;
    char *result = NULL;
    if (H5Tget_class(ftype) == H5T_STRING) {
        hid_t space = H5Aget_space(attr);
        hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
        if (n == 1) {
            hid_t mtype = H5Tcopy(H5T_C_S1);
            H5Tset_cset(mtype, H5Tget_cset(ftype));
            if (H5Tis_variable_str(ftype) > 0) {
                H5Tset_size(mtype, H5T_VARIABLE);
                char *value = NULL;
                if (H5Aread(attr, mtype, &value) >= 0 && value != NULL) {
                    result = strdup(value);
                    H5free_memory(value);
                }
            } else {
                size_t size = H5Tget_size(ftype);
                H5Tset_size(mtype, size + 1);
                H5Tset_strpad(mtype, H5T_STR_NULLTERM);
                char *value = (char *)calloc(size + 2, 1);
                if (value != NULL) {
                    if (H5Aread(attr, mtype, value) >= 0) result = value; else free(value);
                }
            }
            H5Tclose(mtype);
        }
        if (space >= 0) H5Sclose(space);
    }
    H5Tclose(ftype);
    return result;
}
#endif
