fn main() {
    std::process::exit(instantly_rbac::run::run(std::env::args_os()).code());
}
