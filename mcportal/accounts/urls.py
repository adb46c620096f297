"""URLs of accounts: log in/out, sign-up, e-mail verification, password reset and change, profile."""
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("verify/sent/", views.VerificationSentView.as_view(), name="verification_sent"),
    path("verify/resend/", views.verification_resend_view, name="verification_resend"),
    path("verify/<str:token>/", views.verify_email_view, name="verify_email"),
    path("password/reset/", views.PortalPasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", views.PortalPasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/complete/",
        views.PortalPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/change/", views.PortalPasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
]
