"""Array views for numba's hot loops.

``unowned`` is shared by the coefficient coder (mlzip.coder) and the JPEG entropy kernels (mlzip.jpeg).
"""

from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def unowned(typingctx, arr):
    """A view of ``arr`` without a reference count (null meminfo), for hot inner loops.

    Numba increments and decrements an array's reference count atomically each time it is passed
    to an inlined function; with five arrays per coded bit that was 55 % of the run time. The view
    must not outlive the array it was made from.
    """
    def codegen(context, builder, signature, args):
        view = cgutils.create_struct_proxy(arr)(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        return view._getvalue()
    return arr(arr), codegen
