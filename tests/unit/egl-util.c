/* placeholder */
extern int r3d_egl_util_placeholder;
int r3d_egl_util_placeholder;
