import CHDF5
import SharedArrays

/// How a dataset's elements (or one member of its compound elements) are read into a ``DType``.
///
/// HDF5 converts integers, floats and enums (to their integer value) straight into the target's native type.
/// A bitfield it converts only to another bitfield: those are read as the native bitfield of their size, then
/// converted in place, as the unsigned integer of that size, to the target (the target is never narrower, so
/// the destination has room). A compound member is read through a memory compound that holds only that
/// member, at offset 0, so HDF5 packs the chosen field's values one after another.
struct HDF5ElementRead {
    /// The size in bytes of a bitfield element, or nil when HDF5 converts directly.
    let bitfieldBytes: Int?
    /// The compound member read, or nil for the whole element.
    let field: String?
    /// The file and the dataset, for errors.
    let path: String, name: String

    /// Inspects the open dataset's type (and `field`'s member of it); `path` and `name` are for errors.
    init(dataset: hid_t, field: String?, path: String, name: String) throws {
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the datatype\(HDF5.lastErrorSuffix())")
        }
        defer { H5Tclose(type) }
        var elementType = type
        var memberType: hid_t = -1
        defer { if memberType >= 0 { H5Tclose(memberType) } }
        if let field {
            let index = H5Tget_member_index(type, field)
            if index >= 0 { memberType = H5Tget_member_type(type, UInt32(index)) }
            guard memberType >= 0 else {
                throw ArrayIOError(.invalidArgument, path: path, dataset: name, "cannot read field '\(field)'\(HDF5.lastErrorSuffix())")
            }
            elementType = memberType
        }
        self.field = field
        self.path = path
        self.name = name
        if H5Tget_class(elementType) == H5T_BITFIELD {
            let bytes = H5Tget_size(elementType)
            guard [1, 2, 4, 8].contains(bytes) else {
                throw ArrayIOError(.unsupportedType, path: path, dataset: name, "a bitfield of \(bytes * 8) bits is not read")
            }
            bitfieldBytes = bytes
        } else {
            bitfieldBytes = nil
        }
    }

    /// The memory type to pass to `H5Dread` for `target`; close it after the read.
    func memoryType(for target: DType) throws -> MemoryType {
        var elementType = HDF5.memoryType(target)
        var widenFrom: hid_t? = nil
        switch bitfieldBytes {
        case 1?: (elementType, widenFrom) = (mp_h5t_native_b8(), mp_h5t_native_uint8())
        case 2?: (elementType, widenFrom) = (mp_h5t_native_b16(), mp_h5t_native_uint16())
        case 4?: (elementType, widenFrom) = (mp_h5t_native_b32(), mp_h5t_native_uint32())
        case 8?: (elementType, widenFrom) = (mp_h5t_native_b64(), mp_h5t_native_uint64())
        default: break
        }
        guard let field else { return MemoryType(id: elementType, owned: false, widenFrom: widenFrom) }
        let compound = H5Tcreate(H5T_COMPOUND, H5Tget_size(elementType))
        guard compound >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot create a memory type for field '\(field)'\(HDF5.lastErrorSuffix())")
        }
        guard H5Tinsert(compound, field, 0, elementType) >= 0 else {
            H5Tclose(compound)
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot create a memory type for field '\(field)'\(HDF5.lastErrorSuffix())")
        }
        return MemoryType(id: compound, owned: true, widenFrom: widenFrom)
    }

    /// A memory type for one read, and the conversion still due after it.
    struct MemoryType {
        /// The type `H5Dread` converts to.
        let id: hid_t
        /// Whether ``close()`` releases ``id`` (a library constant is not released).
        let owned: Bool
        /// The native unsigned integer the read bytes are, when they still need converting to the target.
        let widenFrom: hid_t?

        func close() { if owned { H5Tclose(id) } }

        /// Converts `count` elements read at `pointer` to `target` in place (nothing to do unless the read was
        /// of bitfields); false when HDF5 reports a failure.
        func widen(_ pointer: UnsafeMutableRawPointer, count: Int, to target: DType) -> Bool {
            guard let widenFrom, count > 0 else { return true }
            return H5Tconvert(widenFrom, HDF5.memoryType(target), count, pointer, nil, mp_h5p_default()) >= 0
        }
    }
}
