#ifndef MP_MPI_SHIM_H
#define MP_MPI_SHIM_H
// Open MPI's handles (MPI_COMM_WORLD, MPI_DOUBLE, ...) are macros over the addresses of mutable C globals,
// which Swift 6 rejects as not concurrency-safe. Each one the library uses is exposed as an inline function.
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cmpi_int(void) { return MPI_INT; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int cmpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int cmpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
/// The rank a status says a message came from (a struct field whose name differs between MPI libraries).
static inline int cmpi_status_source(const MPI_Status *status) { return status->MPI_SOURCE; }
/// The tag of the message a status describes.
static inline int cmpi_status_tag(const MPI_Status *status) { return status->MPI_TAG; }

#endif
